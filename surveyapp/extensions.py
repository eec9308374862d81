"""Flask extensions, created unbound and wired to an app in ``create_app``."""

from flask_babel import Babel
from flask_login import LoginManager
from flask_wtf import CSRFProtect

babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()
