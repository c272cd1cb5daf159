"""The Discord adapter: the client, thin cogs, and the embeds that know Discord's limits."""
