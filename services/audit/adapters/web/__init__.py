"""The replay page (复盘, issue 29): its HTTP server and JSON API beside audit gRPC (`server`), and the page itself (`static/`)."""
