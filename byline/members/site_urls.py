"""Member pages at the site's root: /account/… and /unsubscribe/<token>/ (both reserved slugs)."""

from django.urls import path

from byline.members import pages

app_name = "account"

urlpatterns = [
    path("account/", pages.account, name="account"),
    path("account/welcome/", pages.welcome, name="welcome"),
    path("account/email/", pages.change_email, name="change_email"),
    path("account/sign-out/", pages.sign_out, name="sign_out"),
    path("account/sign-out-everywhere/", pages.sign_out_everywhere, name="sign_out_everywhere"),
    path("account/delete/", pages.delete_account, name="delete"),
    path("unsubscribe/<str:token>/", pages.unsubscribe, name="unsubscribe"),
]
