"""Loop protocols and the engine that runs a generator through them."""
