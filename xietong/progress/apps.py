from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgressConfig(AppConfig):
    name = "xietong.progress"
    label = "progress"
    verbose_name = _("Progress")

    def ready(self) -> None:
        from xietong.attachments.registry import register_owner
        from xietong.common.navigation import NavItem, register
        from xietong.progress.models import Post
        from xietong.progress.permissions import posts_visible_to
        from xietong.progress.selectors import post_search_entries
        from xietong.search.registry import Source, register_source

        # A post's attachments are seen by whoever sees the post.
        register_owner(
            Post,
            lambda user, object_id: object_id.isdigit() and posts_visible_to(user).filter(pk=int(object_id)).exists(),
        )
        register_source(
            Source(
                kind="post",
                label=_("Progress updates"),
                entries=post_search_entries,
                visible=posts_visible_to,
                order=70,
            )
        )
        register(NavItem("progress.feed", _("Progress"), "progress:feed", order=41))
