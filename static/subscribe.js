// Subscribing by card: Stripe.js tokenises the card (its number never reaches us) and the form is
// sent with the token; the server fixes the amount and starts the subscription. If the bank asks
// for 3-D Secure, the next page runs Stripe.js confirmCardPayment() and then asks the server to
// check the payment with Stripe (the return check).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    if (typeof Stripe === "undefined") { return; }
    var errors = document.getElementById("card-errors");
    var form = document.getElementById("subscribe-form");
    if (form) {
      var stripe = Stripe(form.dataset.publishableKey);
      var card = stripe.elements().create("card");
      card.mount("#card-element");
      var button = document.getElementById("subscribe-button");
      var token = document.getElementById("card_token");
      form.addEventListener("submit", async function (event) {
        event.preventDefault();
        button.disabled = true;
        errors.textContent = "";
        var result = await stripe.createToken(card);
        if (result.error || !result.token) {
          errors.textContent = (result.error && result.error.message) ||
            "The card could not be read. Please check it and try again.";
          button.disabled = false;
          return;
        }
        token.value = result.token.id;
        form.submit();
      });
    }
    var confirm = document.getElementById("confirm-form");
    if (confirm) {
      var bank = Stripe(confirm.dataset.publishableKey);
      bank.confirmCardPayment(confirm.dataset.clientSecret).then(function (result) {
        if (result.error) { errors.textContent = result.error.message; }
        confirm.submit();  // the server checks with Stripe either way
      });
    }
  });
})();
