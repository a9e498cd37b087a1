"""The kernel's running a service: settings, the platform file, the shell, the runner and its supervisor, embedded servers, logs."""
