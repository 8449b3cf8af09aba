"""The background worker: delivers the outbox, runs the tick, says it is alive."""
