"""State changes of staff accounts, each in one transaction with its audit event."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.scopes import can_act
from audit.services import record_event, snapshot

USER_FIELDS = ["username", "first_name", "last_name", "email", "role", "post_office", "agency", "province",
               "phone", "is_active", "is_staff", "is_superuser"]
# Roles only a national administrator may grant.
NATIONAL_ONLY_ROLES = {"national_admin"}


def _check_manager(actor, user):
    if actor is None:
        return  # system (management commands, demo data)
    if not can_act(actor, "manage_staff"):
        raise PermissionDenied(_("Bạn không có quyền quản lý người dùng. / You may not manage users."))
    if actor.is_national:
        return
    if user.is_superuser or user.role in NATIONAL_ONLY_ROLES or (user.role == "auditor" and not user.province_id):
        raise PermissionDenied(_("Chỉ quản trị toàn quốc mới cấp được quyền này. / "
                                 "Only a national administrator may grant this."))
    if user.province_id != actor.province_id:
        raise PermissionDenied(_("Người dùng ngoài phạm vi của bạn. / The user is outside your scope."))
    if actor.post_office_id and user.post_office_id != actor.post_office_id:
        raise PermissionDenied(_("Người dùng ngoài bưu cục của bạn. / The user is outside your post office."))


def save_staff_user(user: User, actor=None, password: str | None = None) -> User:
    """Create or update a staff account; validates the role's unit binding."""
    creating = user.pk is None
    before = None if creating else snapshot(User.objects.get(pk=user.pk), USER_FIELDS)
    if password is not None:
        user.set_password(password)
    elif creating and not user.password:
        user.set_unusable_password()
    user.full_clean()
    # Province follows the unit (User.save does it); compute it for the scope check.
    if user.post_office_id:
        user.province_id = user.post_office.province_id
    elif user.agency_id:
        user.province_id = user.agency.province_id
    _check_manager(actor, user)
    with transaction.atomic():
        user.save()
        record_event(
            "accounts.user_created" if creating else "accounts.user_updated", user, actor,
            before=before, after=snapshot(user, USER_FIELDS),
        )
    return user


def set_password(user: User, password: str, actor=None) -> User:
    from django.contrib.auth.password_validation import validate_password

    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    _check_manager(actor if actor != user else None, user)
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        record_event("accounts.password_set", user, actor)
    return user


def set_user_permissions(user: User, groups, permissions, actor=None) -> User:
    """Set a user's groups and individual permissions (national administrators only)."""
    if actor is not None and not actor.is_national:
        raise PermissionDenied(_("Chỉ quản trị toàn quốc mới cấp được quyền này. / "
                                 "Only a national administrator may grant this."))
    groups, permissions = list(groups), list(permissions)
    before = {"groups": sorted(g.name for g in user.groups.all()),
              "permissions": sorted(p.codename for p in user.user_permissions.all())}
    after = {"groups": sorted(g.name for g in groups), "permissions": sorted(p.codename for p in permissions)}
    if before == after:
        return user
    with transaction.atomic():
        user.groups.set(groups)
        user.user_permissions.set(permissions)
        record_event("accounts.permissions_set", user, actor, before=before, after=after)
    return user
