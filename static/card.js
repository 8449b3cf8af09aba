// Replacing the card: Stripe.js saves it into a SetupIntent made by the server (3-D Secure runs
// here if the bank asks), then the server makes it the default card and charges any overdue
// renewal at once; if that charge needs 3-D Secure too, confirmCardPayment() runs and the server
// checks with Stripe itself.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("card-form");
    if (!form || typeof Stripe === "undefined") { return; }
    var stripe = Stripe(form.dataset.publishableKey);
    var card = stripe.elements().create("card");
    card.mount("#card-element");
    var errors = document.getElementById("card-errors");
    var button = document.getElementById("card-button");

    function fail(message) {
      errors.textContent = message || "The card was not saved. Please try again.";
      button.disabled = false;
    }

    function post(url, data) {
      return fetch(url, {
        method: "POST",
        headers: {"Content-Type": "application/json", "X-CSRFToken": form.dataset.csrf},
        body: JSON.stringify(data || {}),
        credentials: "same-origin",
      }).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          return {ok: response.ok, body: body};
        });
      });
    }

    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      button.disabled = true;
      errors.textContent = "";
      var started = await post(form.dataset.setupUrl);
      if (!started.ok) { return fail(started.body.error); }
      var setup = await stripe.confirmCardSetup(started.body.client_secret,
                                                {payment_method: {card: card}});
      if (setup.error || !setup.setupIntent) {
        return fail(setup.error && setup.error.message);
      }
      var saved = await post(started.body.save_url, {setup_intent: setup.setupIntent.id});
      if (!saved.ok) { return fail(saved.body.error); }
      var answer = saved.body;
      if (answer.status === "authenticate" && answer.client_secret) {
        var confirmed = await stripe.confirmCardPayment(answer.client_secret);
        if (confirmed.error) { return fail(confirmed.error.message); }
        var checked = await post(started.body.check_url);
        if (!checked.ok) { return fail(checked.body.error); }
        answer = checked.body;
      }
      if (answer.status === "declined") { return fail(answer.message); }
      window.location.assign(answer.next_url || window.location.href);
    });
  });
})();
