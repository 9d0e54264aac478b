"""Typed spans and question shapes, the vocabulary of the reader and of the claim check."""
import pytest

from model.questions import analyse, instructs
from model.spans import find_spans, negated, normalise


def kinds(text: str) -> list[tuple[str, str]]:
    return [(s.kind, s.text) for s in find_spans(text)]


def test_spans_of_each_kind() -> None:
    assert kinds("Prune after 2 weeks; the default is 6700.") == [("duration", "2 weeks"), ("number", "6700")]
    assert kinds("Use --cleanup=<mode> or -s with tar.umask.") == [
        ("option", "--cleanup=<mode>"), ("option", "-s"), ("identifier", "tar.umask")]
    assert kinds("Edit ~/.gitconfig and $GIT_DIR/config, e.g. now.") == [
        ("identifier", "~/.gitconfig"), ("identifier", "$GIT_DIR")]
    assert kinds('Set it to "never" for Amazon Renewed items.') == [("quoted", "never"), ("name", "Amazon Renewed")]


def test_number_words_normalise_to_digits() -> None:
    assert normalise("Two Years.") == "2 years"
    assert kinds("within two years")[0] == ("duration", "two years")


@pytest.mark.parametrize("text, expected", [
    ("It does not list untracked files.", True),
    ("It lists untracked files.", False),
    ("You can't skip it.", True),
    ("It is never not run.", False),  # a double negative
    ("--no-edit: With this option, git revert will not start the editor.", True),  # an option name is no negation
    ("Use --no-verify to bypass the hooks.", False),
])
def test_negation(text: str, expected: bool) -> None:
    assert negated(text) is expected


@pytest.mark.parametrize("question, expects, polar, default", [
    ("How many loose objects trigger gc?", {"number", "duration"}, False, False),
    ("How long are reflog entries kept by default?", {"duration", "number"}, False, True),
    ("Which option makes git revert open an editor?", {"option"}, False, False),
    ("Which memcheck flag shows where a value came from?", {"option"}, False, False),
    ("Which of the options is best?", set(), False, False),
    ("Which configuration variable sets the initial branch name?", {"identifier"}, False, False),
    ("Where is the default template directory for git init?", {"identifier"}, False, True),
    ("Where can I get help with my order?", set(), False, False),
    ("It says a call is unimplemented. Where in the checker's source do I add it?", {"identifier"}, False, False),
    ("Where is the code of conduct?", set(), False, False),
    ("Does git stash show list untracked files?", set(), True, False),
    ("What name does git init give the first branch if I don't choose one?", set(), False, True),
    ("Why is the sky blue?", set(), False, False),
    # leaving something out is asking for the default, however it is put
    ("If I run the tool without naming a mode, which mode is used?", set(), False, True),
    ("What cache size does the server use when nothing else is configured?", set(), False, True),
    ("At what queue length does the broker start dropping, unless I change it?", {"number", "duration"}, False, True),
    ("Which port does the daemon listen on if it is omitted?", set(), False, True),
    ("Which file does the linter check when I give it no arguments?", {"identifier", "quoted"}, False, True),
    # "which package…" asked for itself wants a code-like word; inside a "how" question it does not
    ("Which single package installs the compilers?", {"identifier", "option", "quoted"}, False, False),
    ("How can I find out which package owns a file?", set(), False, False),
    ("Which non-profit organisation holds the trademark?", {"name"}, False, False),
    ("Which release number went with the codename jade?", {"number", "duration"}, False, False),
])
def test_question_shapes(question: str, expects: set[str], polar: bool, default: bool) -> None:
    shape = analyse(question)
    assert set(shape.expects) == expects
    assert shape.polar is polar and shape.wants_default is default


def test_focus_drops_the_frame_words() -> None:
    shape = analyse("Which option sets the default compression level?")
    assert "compress" in shape.focus and "level" in shape.focus
    assert "option" not in shape.focus and "default" not in shape.focus
    assert shape.fits({"option"}) and not shape.fits({"number"})
    assert analyse("Why?").fits(set())
    # "what does it mean and how do I fix it?" asks for the error's meaning, not for the word "fix"
    assert analyse("Getting EMFILE when opening lots of files. How do I fix it?").focus == ("emfil", "open", "file")
    # "out of the box" asks for the default, and no passage says "box"
    assert analyse("How big is the thread pool out of the box?").focus == ("big", "thread", "pool")
    assert analyse("Can node read a .env file by itself?").focus == ("node", "read", "env", "file")


def test_names_a_question_is_about() -> None:
    assert analyse("How do I sign commits on GitLab with an SSH key?").names == ("gitlab", "ssh")
    assert "2010" in analyse("Who won the World Cup in 2010?").names
    assert analyse("how do refunds work?").names == ()
    assert analyse("Does it throw if the file I'm deleting is gone, or if I've moved it?").names == ()


def test_the_names_of_the_question_proper_leave_out_the_scene() -> None:
    shape = analyse("I run valgrind in CI and want the job to fail. Which flag gives a non-zero exit code?")
    assert shape.names == ("ci",) and shape.asked_names == ()
    assert analyse("Which flag gives a non-zero exit code in CI?").asked_names == ("ci",)


def test_a_platform_counts_as_named_by_its_family() -> None:
    from model.questions import name_held

    assert name_held("linux", {"posix", "system"}) and name_held("mac", {"maco"})
    assert not name_held("window", {"posix", "maco"})


def test_options_and_snake_case_names_a_question_quotes_must_be_there_exactly() -> None:
    from model.questions import unmentioned_codes

    shape = analyse("What is the default of max_workers, and does --dry-run change it?")
    assert shape.codes == ("max_workers", "--dry-run")
    assert unmentioned_codes(shape, ["The max\\_workers setting", "Use --dry-run to test."]) == []
    assert unmentioned_codes(shape, ["Workers: the max number", "A dry run tests."]) == ["max_workers", "--dry-run"]
    assert analyse("Which non-profit organisation has an e-mail list?").codes == ()


def test_a_one_letter_option_is_held_only_standing_alone() -> None:
    from model.questions import unmentioned_codes

    shape = analyse("What does -s do, and is it like git commit -a?")
    assert shape.codes == ("-s", "-a")
    assert unmentioned_codes(shape, ["Use --show-error-list and --all."]) == ["-s", "-a"]
    assert unmentioned_codes(shape, ["`-s`: the same as --show-error-list; -a stages all."]) == []
    assert analyse("Is the e-mail list for X-ray users?").codes == ()


def test_a_one_letter_option_is_what_a_short_question_is_about_and_a_detail_of_a_long_one() -> None:
    from model.questions import one_letter_options

    assert one_letter_options(analyse("What does -s do?")) == ["-s"]
    assert one_letter_options(analyse("What is mkdir's -Z option for?")) == ["-z"]
    long = analyse("Which timestamp format does touch -t accept when I set the access and modification times?")
    assert long.codes == ("-t",) and one_letter_options(long) == []


def test_a_relative_path_is_not_a_pair_of_words_with_a_slash() -> None:
    assert kinds("a C/C++ compiler and/or a TCP/IP stack") == [("name", "TCP")]
    assert [k for k, _ in kinds("edit src/main.c, .git/config or refs/heads/main")] == ["identifier"] * 3


def test_spans_touching_chinese_text() -> None:
    assert kinds("主机名最长64个字符") == [("number", "64")]
    assert kinds("-h, --human-readable 以人类可读的格式输出") == [("option", "-h"), ("option", "--human-readable")]
    assert kinds("条目保留 90 天，配置变量 gc.reflogExpire。") == [("duration", "90 天"), ("identifier", "gc.reflogExpire")]


@pytest.mark.parametrize("question, expects, polar, default", [
    ("主机名最长可以有多少个字符？", {"number", "duration"}, False, False),
    ("reflog 条目默认保留多少天？", {"duration", "number"}, False, True),
    ("git gc 默认会清理多久以前的松散对象？", {"duration", "number"}, False, True),
    ("cal 用哪个选项把星期一作为一周的第一天？", {"option"}, False, False),
    ("哪个配置变量控制 git tag 是否用 GPG 签名标签？", {"identifier"}, False, False),
    ("默认的模板目录在哪里？", {"identifier"}, False, True),
    ("结巴分词支持哪几种分词模式？", set(), False, False),
    ("/etc/shells 文件里包含什么？", set(), False, False),
    ("du 是否跟随符号链接？", set(), True, False),
    ("这个命令能删除文件吗？", set(), True, False),
])
def test_chinese_question_shapes(question: str, expects: set[str], polar: bool, default: bool) -> None:
    shape = analyse(question)
    assert set(shape.expects) == expects
    assert shape.polar is polar and shape.wants_default is default


def test_chinese_focus_leaves_out_question_words() -> None:
    focus = analyse("澳大利亚的首都是哪里？").focus
    assert "澳大利亚" in focus and "首都" in focus and "哪里" not in focus


@pytest.mark.parametrize("question, how_to, asked", [
    ("Files listed in .gitignore are still tracked. How do I untrack them?", True, "How do I untrack them?"),
    ("How do I reset my password?", True, ""),
    ("My parcel is late! Where is it?", False, "Where is it?"),
    ("Is it late? Where is it?", False, ""),  # two questions: no scene to set aside
    ("What does git init do?", False, ""),
    ("如何重置密码？", True, ""),
])
def test_how_to_and_the_question_after_a_scene(question: str, how_to: bool, asked: str) -> None:
    shape = analyse(question)
    assert (shape.how_to, shape.asked) == (how_to, asked)


@pytest.mark.parametrize("sentence, expected", [
    ("To untrack a file, use `git rm --cached`.", True),
    ("Go to Settings and click Reset.", True),
    ("You can pass --force to skip it.", True),
    ("请点击设置。", True),
    ("A gitignore file keeps untracked files untracked.", False),
    ("Refunds are issued within 14 days.", False),
    ("An `AbortController` may be used to cancel the timer.", True),  # the same advice, passive
    ("The value is used to compute the hash.", False),
])
def test_instructions(sentence: str, expected: bool) -> None:
    assert instructs(sentence) is expected
