"""Login: Vietnamese page, throttled after repeated failures (django-axes)."""

from tests.conftest import PASSWORD


def test_login_and_home(client, ag_clerk):
    response = client.post("/login/", {"username": "an_clerk", "password": PASSWORD}, follow=True)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Xin chào" in page and "Giao dịch viên" in page


def test_wrong_password_shows_a_vietnamese_error(client, ag_clerk):
    response = client.post("/login/", {"username": "an_clerk", "password": "wrong"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Tên đăng nhập hoặc mật khẩu không đúng" in page
    assert "Wrong username or password" in page


def test_login_is_throttled_after_five_failures(client, ag_clerk, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/login/", {"username": "an_clerk", "password": "wrong"})
    response = client.post("/login/", {"username": "an_clerk", "password": PASSWORD})
    assert response.status_code == 429
    assert "Tạm khóa" in response.content.decode()


def test_english_switch(client, ag_clerk):
    client.force_login(ag_clerk)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get("/").content.decode()
    assert 'lang="en"' in page
    assert "Log out" in page and "Đăng xuất" not in page
    assert "Hello" in page


def test_vietnamese_even_when_the_browser_asks_for_english(client, db):
    page = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert 'lang="vi"' in page
