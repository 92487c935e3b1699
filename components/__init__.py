"""Label Studio persistent storage: settings, pure builders and one component per concern.

Nothing here imports a cloud SDK at package import time, so a stack only loads the provider
modules it uses.
"""
