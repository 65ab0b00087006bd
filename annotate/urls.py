from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from annotate.api import api
from annotate.views import (
    accounts,
    agreement,
    argument_map,
    articles,
    datasets,
    jobs,
    manage,
    members,
    projects,
    review,
    suggestion_models,
    team,
    uploads,
    workspace,
)

app_name = "annotate"

project_urls = [
    path("", projects.project_detail, name="project_detail"),
    path("next/", projects.queue_next, name="queue_next"),
    path("settings/", projects.project_settings, name="project_settings"),
    path("delete/", projects.project_delete, name="project_delete"),
    path("articles/", articles.article_list, name="article_list"),
    path("articles/new/", articles.article_create, name="article_create"),
    path("articles/<int:pk>/", articles.article_detail, name="article_detail"),
    path("articles/<int:pk>/review/", review.article_review, name="review"),
    path("articles/<int:pk>/review/adopt/<int:unit_pk>/", review.review_adopt, name="review_adopt"),
    path(
        "articles/<int:pk>/review/suggestions/<int:suggestion_pk>/accept/",
        review.review_suggestion_accept,
        name="review_suggestion_accept",
    ),
    path(
        "articles/<int:pk>/review/suggestions/<int:suggestion_pk>/reject/",
        review.review_suggestion_reject,
        name="review_suggestion_reject",
    ),
    path("articles/<int:pk>/review/majority/", review.review_majority, name="review_majority"),
    path("articles/<int:pk>/review/gold/", review.review_gold, name="review_gold"),
    path("articles/<int:pk>/review/finish/", review.review_finish, name="review_finish"),
    path("articles/<int:pk>/review/reopen/", review.review_reopen, name="review_reopen"),
    path("layers/<int:pk>/", workspace.layer_detail, name="layer_detail"),
    path("layers/<int:pk>/panel/", workspace.layer_panel, name="layer_panel"),
    path("layers/<int:pk>/outline/", workspace.layer_outline, name="layer_outline"),
    path("layers/<int:pk>/map/", argument_map.layer_map, name="layer_map"),
    path("layers/<int:pk>/units/", workspace.unit_create, name="unit_create"),
    path("layers/<int:pk>/units/<int:unit_pk>/label/", workspace.unit_label, name="unit_label"),
    path("layers/<int:pk>/units/<int:unit_pk>/attribute/", workspace.unit_attribute, name="unit_attribute"),
    path("layers/<int:pk>/units/<int:unit_pk>/spans/", workspace.unit_spans, name="unit_spans"),
    path("layers/<int:pk>/units/<int:unit_pk>/note/", workspace.unit_note, name="unit_note"),
    path("layers/<int:pk>/units/<int:unit_pk>/delete/", workspace.unit_delete, name="unit_delete"),
    path("layers/<int:pk>/relations/", workspace.relation_create, name="relation_create"),
    path("layers/<int:pk>/relations/<int:relation_pk>/delete/", workspace.relation_delete, name="relation_delete"),
    path("layers/<int:pk>/suggestions/accept-all/", workspace.suggestions_accept_all, name="suggestions_accept_all"),
    path(
        "layers/<int:pk>/suggestions/<int:suggestion_pk>/accept/", workspace.suggestion_accept, name="suggestion_accept"
    ),
    path(
        "layers/<int:pk>/suggestions/<int:suggestion_pk>/reject/", workspace.suggestion_reject, name="suggestion_reject"
    ),
    path("layers/<int:pk>/undo/", workspace.layer_undo, name="layer_undo"),
    path("layers/<int:pk>/redo/", workspace.layer_redo, name="layer_redo"),
    path("layers/<int:pk>/finish/", workspace.layer_finish, name="layer_finish"),
    path("layers/<int:pk>/reopen/", workspace.layer_reopen, name="layer_reopen"),
    path("layers/<int:pk>/stance/", workspace.layer_stance, name="layer_stance"),
    path("agreement/", agreement.agreement, name="agreement"),
    path("team/", team.team_figures, name="team"),
    path("team/<str:table>.csv", team.team_csv, name="team_csv"),
    path("suggestions/models/", suggestion_models.suggestion_models, name="suggestion_models"),
    path("suggestions/models/train/", suggestion_models.suggestion_train, name="suggestion_train"),
    path("export/", datasets.dataset_export, name="dataset_export"),
    path("import/", datasets.dataset_import, name="dataset_import"),
    path("import/predictions/", datasets.predictions_import, name="predictions_import"),
    # Chunked uploads of files larger than one request may carry (annotate/uploads.py).
    path("import/uploads/", uploads.upload_start, name="upload_start"),
    path("import/uploads/<uuid:token>/", uploads.upload_chunk, name="upload_chunk"),
    path("import/uploads/<uuid:token>/finish/", uploads.upload_finish, name="upload_finish"),
    path("import/uploads/<uuid:token>/import/", uploads.upload_import, name="upload_import"),
    path("jobs/<int:pk>/", jobs.job_detail, name="job_detail"),
    path("jobs/<int:pk>/cancel/", jobs.job_cancel, name="job_cancel"),
    path("jobs/<int:pk>/download/", datasets.export_download, name="export_download"),
    path("members/", members.member_list, name="member_list"),
    path("members/<int:pk>/remove/", members.member_remove, name="member_remove"),
    path("members/<int:pk>/deactivate/", members.member_deactivate, name="member_deactivate"),
    path("members/<int:pk>/reactivate/", members.member_reactivate, name="member_reactivate"),
    path("members/<int:pk>/password-link/", members.member_reset_link, name="member_reset_link"),
    path("members/accounts/", members.account_create, name="account_create"),
    path("members/invites/", members.invite_create, name="invite_create"),
    path("members/invites/<int:pk>/revoke/", members.invite_revoke, name="invite_revoke"),
    path("scheme/", manage.scheme, name="scheme"),
    path("scheme/markers/", manage.scheme_markers, name="scheme_markers"),
    path("scheme.css", manage.scheme_css, name="scheme_css"),
    path("scheme/<str:entry_type>/new/", manage.scheme_entry_edit, name="scheme_entry_create"),
    path("scheme/<str:entry_type>/<int:pk>/", manage.scheme_entry_edit, name="scheme_entry_edit"),
    path("assignment/", manage.assignment, name="assignment"),
    path("assignment/spread/", manage.assignment_spread, name="assignment_spread"),
    path("assignment/save/", manage.assignment_save, name="assignment_save"),
    path("assignment/unassign/", manage.assignment_unassign, name="assignment_unassign"),
]

annotate_urls = [
    path("", projects.project_list, name="project_list"),
    path("projects/new/", projects.project_create, name="project_create"),
    path("p/<slug:slug>/", include(project_urls)),
    # An invite link: open to anyone who has it (annotate/accounts.py).
    path("accounts/invite/<str:token>/", accounts.invite_accept, name="invite_accept"),
    # The user's personal API tokens (annotate/api/tokens.py).
    path("accounts/tokens/", accounts.api_tokens, name="api_tokens"),
    path("accounts/tokens/<int:pk>/revoke/", accounts.api_token_revoke, name="api_token_revoke"),
]

urlpatterns = [
    path("", include((annotate_urls, app_name))),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    # Set-password and password-reset links that managers give (annotate/accounts.py).
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("accounts/reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("admin/", admin.site.urls),
    # The HTTP API (annotate/api/, docs/api.md), with its schema and docs.
    path("api/v1/", api.urls),
]
