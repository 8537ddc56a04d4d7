from . import export
from . import letters
from . import responses
