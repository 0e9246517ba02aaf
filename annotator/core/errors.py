class InputError(Exception):
    """Bad input from a person or a file. Each message names what is wrong and where;
    whoever raises it has written nothing."""

    def __init__(self, messages: list[str] | str) -> None:
        self.messages = [messages] if isinstance(messages, str) else list(messages)
        super().__init__("\n".join(self.messages))
