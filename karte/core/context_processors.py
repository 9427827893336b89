from django.apps import apps
from django.urls import reverse

from karte.core.scoping import scope_for
from karte.core.selectors import body_name


def navigation(request) -> dict:
    """The left navigation and the header's body and role.

    Each app lists (label, url name, Scope property needed or None) in its AppConfig's `navigation`.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    scope = scope_for(user)
    path = request.path
    items = []
    for config in apps.get_app_configs():
        for label, url_name, needs in getattr(config, "navigation", ()):
            if scope.role is None or (needs and not getattr(scope, needs)):
                continue
            url = reverse(url_name)
            active = path == url if url == "/" else path.startswith(url)
            items.append({"label": label, "url": url, "active": active})
    role = scope.role
    return {
        "nav_items": items,
        "karte_body_name": body_name(user),
        "karte_role_label": _role_label(role, user),
    }


def _role_label(role, user) -> str:
    from django.utils.translation import gettext

    from karte.core.choices import Role

    if user.is_superuser:
        return gettext("System administrator")
    return Role(role).label if role else gettext("No role")
