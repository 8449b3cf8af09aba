// Card payment: Stripe.js tokenises the card (its number never reaches us); the server attaches
// the token to the PaymentIntent it created for the exact amount and confirms it; if the bank
// asks for 3-D Secure, Stripe.js confirmCardPayment() completes it. Then the server checks.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var pay = window.cardForm("payment-form", "pay-button",
                              "The payment did not go through. Please try again.");
    if (!pay) { return; }
    pay.form.addEventListener("submit", async function (event) {
      event.preventDefault();
      pay.begin();
      var started = await pay.post(pay.form.dataset.startUrl);
      if (!started.ok) { return pay.fail(started.body.error); }
      var tokenResult = await pay.stripe.createToken(pay.card);
      if (tokenResult.error || !tokenResult.token) {
        return pay.fail(tokenResult.error && tokenResult.error.message);
      }
      var charged = await pay.post(started.body.card_url, {token: tokenResult.token.id});
      if (!charged.ok) { return pay.fail(charged.body.error); }
      if (charged.body.status === "requires_action") {
        var confirmed = await pay.stripe.confirmCardPayment(charged.body.client_secret);
        if (confirmed.error) { return pay.fail(confirmed.error.message); }
      }
      var done = await pay.post(started.body.done_url);
      window.location.assign(done.body.next_url || window.location.href);
    });
  });
})();
