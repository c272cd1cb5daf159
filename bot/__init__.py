"""policybot: follows AI-regulation news for Discord communities.

Importing this package has no side effects; the composition root is ``bot.__main__``.
"""

__version__ = "0.1.0"
