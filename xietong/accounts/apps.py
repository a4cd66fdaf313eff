from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "xietong.accounts"
    label = "accounts"
