"""The components as a Pulumi package: the plugin over gRPC as the engine starts it, and the YAML
and TypeScript examples against its schema.
"""
