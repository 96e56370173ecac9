"""The development loop: local server, ``invoke`` and AWS front-door emulation."""
