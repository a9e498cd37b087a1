"""The demo history (issue 29 point 1): a realistic, generated story loaded into a running platform
through its own gRPC API. `await tools.demo.load(targets, key_file, size="small")` returns a
`DemoReport` (the case ids, the users and offices who act); `jjjc demo` is the command line."""

from tools.demo.loader import DemoReport, load
from tools.demo.session import DemoError

__all__ = ["DemoError", "DemoReport", "load"]
