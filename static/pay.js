// Card payment: Stripe.js tokenises the card (its number never reaches us); the server attaches
// the token to the PaymentIntent it created for the exact amount and confirms it; if the bank
// asks for 3-D Secure, Stripe.js confirmCardPayment() completes it. Then the server checks.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("payment-form");
    if (!form || typeof Stripe === "undefined") { return; }
    var stripe = Stripe(form.dataset.publishableKey);
    var card = stripe.elements().create("card");
    card.mount("#card-element");
    var errors = document.getElementById("card-errors");
    var button = document.getElementById("pay-button");

    function fail(message) {
      errors.textContent = message || "The payment did not go through. Please try again.";
      button.disabled = false;
    }

    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      button.disabled = true;
      errors.textContent = "";
      var tokenResult = await stripe.createToken(card);
      if (tokenResult.error || !tokenResult.token) {
        return fail(tokenResult.error && tokenResult.error.message);
      }
      var response = await fetch(form.dataset.cardUrl, {
        method: "POST",
        headers: {"Content-Type": "application/json", "X-CSRFToken": form.dataset.csrf},
        body: JSON.stringify({token: tokenResult.token.id}),
        credentials: "same-origin",
      });
      var body = await response.json().catch(function () { return {}; });
      if (!response.ok) { return fail(body.error); }
      if (body.status === "requires_action") {
        var confirmed = await stripe.confirmCardPayment(body.client_secret);
        if (confirmed.error) { return fail(confirmed.error.message); }
      }
      window.location.assign(form.dataset.doneUrl);
    });
  });
})();
