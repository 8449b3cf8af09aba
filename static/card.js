// Replacing the card: Stripe.js saves it into a SetupIntent made by the server (3-D Secure runs
// here if the bank asks), then the server makes it the default card and charges any overdue
// renewal at once; if that charge needs 3-D Secure too, confirmCardPayment() runs and the server
// checks with Stripe itself.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var saving = window.cardForm("card-form", "card-button",
                                 "The card was not saved. Please try again.");
    if (!saving) { return; }
    saving.form.addEventListener("submit", async function (event) {
      event.preventDefault();
      saving.begin();
      var started = await saving.post(saving.form.dataset.setupUrl);
      if (!started.ok) { return saving.fail(started.body.error); }
      var setup = await saving.stripe.confirmCardSetup(started.body.client_secret,
                                                       {payment_method: {card: saving.card}});
      if (setup.error || !setup.setupIntent) {
        return saving.fail(setup.error && setup.error.message);
      }
      var saved = await saving.post(started.body.save_url,
                                    {setup_intent: setup.setupIntent.id});
      if (!saved.ok) { return saving.fail(saved.body.error); }
      var answer = saved.body;
      if (answer.status === "authenticate" && answer.client_secret) {
        var confirmed = await saving.stripe.confirmCardPayment(answer.client_secret);
        if (confirmed.error) { return saving.fail(confirmed.error.message); }
        var checked = await saving.post(started.body.check_url);
        if (!checked.ok) { return saving.fail(checked.body.error); }
        answer = checked.body;
      }
      if (answer.status === "declined") { return saving.fail(answer.message); }
      window.location.assign(answer.next_url || window.location.href);
    });
  });
})();
