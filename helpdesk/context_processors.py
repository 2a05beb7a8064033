from django.http import HttpRequest


def navigation(request: HttpRequest) -> dict:
    """What the base layout needs to pick the menu for the user's role."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_role": None}
    role = "admin" if user.is_helpdesk_admin else user.role
    return {"nav_role": role}
