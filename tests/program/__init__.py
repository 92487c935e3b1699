"""The program under the SDK's mocks: what each stack file declares, the golden URNs, data safety,
the credential-free plan, the registry, the layout's import rules and the docs' snippets.
"""
