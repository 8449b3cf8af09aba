"""Flask extensions, created unbound and initialised in `create_app()`."""

from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from cohort.migration_support import render_item
from cohort.models.base import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate(compare_type=True, render_as_batch=True, render_item=render_item)
csrf = CSRFProtect()
login_manager = LoginManager()
