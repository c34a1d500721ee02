from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _(
            "Tên đăng nhập hoặc mật khẩu không đúng (phân biệt chữ hoa, chữ thường). / "
            "Wrong username or password (both are case-sensitive)."
        ),
        "inactive": _("Tài khoản đã bị khóa. / This account is inactive."),
    }
