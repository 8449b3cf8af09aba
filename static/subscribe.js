// Subscribing by card: Stripe.js tokenises the card (its number never reaches us) and the form is
// sent with the token; the server fixes the amount and starts the subscription. If the bank asks
// for 3-D Secure, the next page runs Stripe.js confirmCardPayment() and then asks the server to
// check the payment with Stripe (the return check).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var subscribing = window.cardForm("subscribe-form", "subscribe-button",
                                      "The card could not be read. Please check it and try again.");
    if (subscribing) {
      var token = document.getElementById("card_token");
      subscribing.form.addEventListener("submit", async function (event) {
        event.preventDefault();
        subscribing.begin();
        var result = await subscribing.stripe.createToken(subscribing.card);
        if (result.error || !result.token) {
          return subscribing.fail(result.error && result.error.message);
        }
        token.value = result.token.id;
        subscribing.form.submit();
      });
    }
    var confirm = document.getElementById("confirm-form");
    if (confirm && typeof Stripe !== "undefined") {
      var bank = Stripe(confirm.dataset.publishableKey);
      bank.confirmCardPayment(confirm.dataset.clientSecret).then(function (result) {
        if (result.error) { document.getElementById("card-errors").textContent = result.error.message; }
        confirm.submit();  // the server checks with Stripe either way
      });
    }
  });
})();
