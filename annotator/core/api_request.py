"""The request type of the API's writing views. Writes need an admin (AdminWrites,
after the default IsAuthenticated), so there `request.user` is a `User`, never
`AnonymousUser`. Only an annotation, like annotator.core.htmx.AuthedHttpRequest: the
views receive DRF's Request as ever, and at run time the name is Request itself."""

from typing import TYPE_CHECKING

from rest_framework.request import Request

from annotator.models import User

if TYPE_CHECKING:

    class AuthedRequest(Request):
        @property
        def user(self) -> User: ...

        @user.setter
        def user(self, value: User) -> None: ...

else:
    AuthedRequest = Request
