"""mcunet: TinyNAS co-designed with TinyEngine, delivered as a build system."""

__version__ = "0.1.0"
