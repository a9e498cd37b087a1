"""The kernel's the event store and the one command path: append, read, envelopes, commands, timers, migrations, projections."""
