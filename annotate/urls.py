from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from annotate.views import articles, manage, projects

app_name = "annotate"

project_urls = [
    path("", projects.project_detail, name="project_detail"),
    path("next/", projects.queue_next, name="queue_next"),
    path("settings/", projects.project_settings, name="project_settings"),
    path("articles/", articles.article_list, name="article_list"),
    path("articles/new/", articles.article_create, name="article_create"),
    path("articles/<int:pk>/", articles.article_detail, name="article_detail"),
    path("members/", manage.member_list, name="member_list"),
    path("members/<int:pk>/remove/", manage.member_remove, name="member_remove"),
    path("scheme/", manage.scheme, name="scheme"),
    path("scheme.css", manage.scheme_css, name="scheme_css"),
    path("scheme/<str:kind>/new/", manage.scheme_entry_edit, name="scheme_entry_create"),
    path("scheme/<str:kind>/<int:pk>/", manage.scheme_entry_edit, name="scheme_entry_edit"),
    path("assignment/", manage.assignment, name="assignment"),
    path("assignment/spread/", manage.assignment_spread, name="assignment_spread"),
    path("assignment/<int:pk>/", manage.assignment_article, name="assignment_article"),
]

annotate_urls = [
    path("", projects.project_list, name="project_list"),
    path("projects/new/", projects.project_create, name="project_create"),
    path("p/<slug:slug>/", include(project_urls)),
]

urlpatterns = [
    path("", include((annotate_urls, app_name))),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
]
