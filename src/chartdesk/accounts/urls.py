from django.urls import path

from chartdesk.accounts import admin_views, password_views, views

urlpatterns = [
    path("login/", views.login_view, name="accounts-login"),
    path("logout/", views.logout_view, name="accounts-logout"),
    path("session/stay/", views.stay_signed_in_view, name="accounts-stay-signed-in"),
    path("mfa/", views.mfa_view, name="accounts-mfa"),
    path("password/", password_views.password_change_view, name="accounts-password"),
    path("users/", admin_views.users_view, name="accounts-users"),
    path("users/new/", admin_views.user_create_view, name="accounts-user-create"),
    path("users/<int:user_id>/", admin_views.user_detail_view, name="accounts-user"),
    path("users/<int:user_id>/role/", admin_views.user_role_view, name="accounts-user-role"),
    path("users/<int:user_id>/deactivate/", admin_views.user_deactivate_view, name="accounts-user-deactivate"),
    path("users/<int:user_id>/reactivate/", admin_views.user_reactivate_view, name="accounts-user-reactivate"),
    path("users/<int:user_id>/password/", admin_views.user_password_view, name="accounts-user-password"),
    path("users/<int:user_id>/unlock/", admin_views.user_unlock_view, name="accounts-user-unlock"),
    path("users/<int:user_id>/reset-mfa/", admin_views.user_reset_mfa_view, name="accounts-user-reset-mfa"),
    path("roles/", admin_views.roles_view, name="accounts-roles"),
    path("roles/mfa/", admin_views.role_mfa_view, name="accounts-role-mfa"),
]
