"""WSGI entry point for production servers."""

import os

from django.core.wsgi import get_wsgi_application

from tutela.core.files import secure_configured_home, set_private_umask

set_private_umask()  # the WSGI server's umask would make the database, logs and packages world-readable
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tutela.settings")
application = get_wsgi_application()
secure_configured_home()
