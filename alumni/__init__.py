"""alumni: the automation that runs I-sektionen's alumni policy around one shared sheet."""

__all__ = ["__version__"]
__version__ = "0.1.0"
