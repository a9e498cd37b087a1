"""The shared kernel, by concern: `domain` (the pure domain kit), `eventstore` (the store and the
one command path), `messaging` (Kafka in and out), `edge` (gRPC, contract, identity) and `runtime`
(settings, the service shell, the runner). Every service imports it; it imports no service.
"""
