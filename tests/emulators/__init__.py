"""What the program declares, stood up on emulators (moto, the GCS emulator, Azurite) and held to
what it promises.
"""
