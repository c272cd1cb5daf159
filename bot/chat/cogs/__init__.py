"""Slash commands, one cog per subject; each command reads arguments, calls the facade, renders."""
