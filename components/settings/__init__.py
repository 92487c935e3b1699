"""The stack's settings, from the stack file to the components' arguments, a module per step:

- `stack_file`: reading the stack's `labelstudio:*` configuration from the Pulumi runtime;
- `model`: the contract, every setting typed and checked (the settings every cloud shares),
  and `load_settings`, which reports every problem at once;
- `cloud`: what each cloud's part of the contract provides (`components/<cloud>/settings.py`);
- `problems`: problem reports, each naming its key, its value unless secret, and the fix;
- `component_args`: the settings as the components' arguments, the one mapping the program uses.

Importing the package loads none of them.
"""
