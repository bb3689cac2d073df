"""The story editor's form. Apps above stories can suggest starting values for a new story through the
`story_form_initial` hook (a function taking the new story and returning a dict of field values): the
newsletters app uses it for a newsletter marked "send new stories by default"."""

from wagtail import hooks
from wagtail.admin.forms import WagtailAdminPageForm


class StoryPageForm(WagtailAdminPageForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None and not self.is_bound:
            for initial_values in hooks.get_hooks("story_form_initial"):
                for name, value in (initial_values(self.instance) or {}).items():
                    if name in self.fields:
                        self.initial[name] = value
