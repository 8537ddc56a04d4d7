from . import export
from . import letters
