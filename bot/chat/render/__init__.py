"""Every reply as people see it in Discord, one module per command family."""
