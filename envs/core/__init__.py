"""The layer every fieldgym domain shares: configs, errors, rewards, adapters and wrappers."""
