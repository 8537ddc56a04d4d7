from . import export
from . import letters
from . import responses
from . import test_email
