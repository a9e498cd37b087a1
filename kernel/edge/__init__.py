"""The kernel's the gRPC edge: server, contract, authentication, tokens, catalogue, control, status, protobuf mapping."""
