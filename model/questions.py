"""What a question asks for: the kind of answer it expects and the words it is about.

"How many loose objects…" expects a number, "which option…" an option, "how long…" a duration,
"does it…?" a yes or no; "…by default?" asks for the default. The extractive reader prefers
sentences that hold the expected kind of span, the judge lowers confidence when the shown answer
holds none. English and Chinese rules ("多少" a number, "哪个选项" an option, "是否" yes or no,
"默认" the default); other languages get an empty expectation (no preference, no penalty).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from model.textutil import content_terms

_EXPECT: tuple[tuple[re.Pattern[str], frozenset[str]], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), frozenset(kinds))
    for pattern, kinds in (
        (r"\bhow (many|much)\b|\bwhat (number|percentage|amount|size|level|value|price|cost|port|limit)\b"
         r"|\bat what (\w+ )?(age|size|length|point|level|count|threshold|percentage|rate)\b|\b(release|version) number\b",
         ("number", "duration")),
        (r"\bhow (long|old|often|soon|quickly)\b|\bwhen\b.*\b(expire|due|deadline)|\bwithin how\b",
         ("duration", "number")),
        # "which option …", "which memcheck flag …": the tool's name may stand between
        (r"\b(which|what) ([\w-]+ )?(command[- ]line )?(option|flag|switch|argument)s?\b", ("option",)),
        (r"\b(which|what) (config(uration)? )?(variable|setting|key|parameter|property|field)s?\b",
         ("identifier",)),
        (r"\b(which|what) (file|directory|folder|path|environment variable)s?\b", ("identifier", "quoted")),
        # "which single package pulls in a compiler…", "which make target…", "which algorithm…" (the
        # question itself, not "how can I find out which package…"): in technical text the answer is
        # a code-like word ("build-essential", `deb-pkg`, `scram-sha-256`)
        (r"^\W*(\w+ )?(which|what) (\w+ )?(package|make target|build target|tool|program|utility|algorithm|keyword|clause|lock|mode|"
         r"privilege|role|encoding|format)s?\b", ("identifier", "option", "quoted")),
        # "which non-profit organisation…": a proper name
        (r"^\W*(\w+ )?(which|what) ([\w-]+ ){0,2}(organi[sz]ation|company|foundation|project|distribution|vendor)s?\b",
         ("name",)),
        # "where is the default template directory?", "where are the logs stored?", "where in the
        # source do I add …?": a path
        (r"\bwhere (is|are|does|do|can i find)\b.*\b(file|directory|folder|path|logs?|stored|kept|located|installed)s?\b"
         r"|\bwhere in the ([\w'’-]+ ){0,2}(source|code|tree|repository)\b",
         ("identifier",)),
        (r"\b(which|what) (command|subcommand|function|method|class|module)s?\b", ("identifier", "option")),
        # Chinese: the question word, an optional measure word, then what is asked for
        (r"多久|多长时间|多少(?:天|小时|分钟|秒|周|个?月|年)|几(?:天|小时|分钟|秒|周|个月|年)", ("duration", "number")),
        (r"多少|(?<!哪)几[个项次位条倍]|多大|多长|多高|多宽|多重|多快|数量|数值|哪一?年|哪一?天|什么日期|几号",
         ("number", "duration")),
        (r"(?:哪|什么|何)[个些种一]*(?:命令行)?(?:选项|参数|开关|标志)", ("option",)),
        (r"(?:哪|什么|何)[个些种一]*(?:配置|设置)?(?:变量|设置项|配置项|键|属性|字段)", ("identifier",)),
        (r"(?:哪|什么|何)[个些种一]*(?:文件|目录|文件夹|路径|环境变量)", ("identifier", "quoted")),
        (r"(?:文件|目录|文件夹|日志).{0,12}(?:在哪|位于哪|放在哪|存放在哪|保存在哪)", ("identifier",)),
        (r"(?:哪|什么|何)[个些种一]*(?:子?命令|函数|方法|类|模块)", ("identifier", "option")),
    )
)
_ZH_POLAR = re.compile(r"是否|是不是|能不能|可不可以|会不会|有没有|吗[？?]?\s*$")
_ZH_WH = re.compile(r"什么|哪|谁|多少|几|怎|如何|为什么|为何|何时|多久|多长|多大")  # asks which, not whether
_ZH_DEFAULT = re.compile(r"默认|缺省|預設|默認")
_POLAR = re.compile(
    r"^\s*(do|does|did|is|are|was|were|can|could|will|would|should|has|have|may|must)\b", re.IGNORECASE
)
_LEFT_OUT = r"(choose|set|give|specify|say|pass|name|configure|change|select|pick|provide|supply)"
# the question asks what happens when the user leaves something out: "… if I don't choose one?",
# "… without naming a lock mode?", "… when nothing else is configured?", "… unless I change it?"
_DEFAULT = re.compile(
    rf"\bby default\b|\bdefaults?\b|\bif (i|you|we) (do not|don't|didn't|did not|never) {_LEFT_OUT}"
    rf"|\bwithout (naming|specifying|giving|setting|passing|choosing|saying|selecting|picking|any) "
    rf"|\bwhen (none|nothing)( else)? is (given|set|specified|configured|chosen|passed|supplied|provided)\b"
    rf"|\bwhen no \S+( \S+)? (is|are) (given|set|specified|passed|supplied)\b|\b(with|given|give|giving|pass|passing)( it| them)? no (arguments?|args?|options?|values?|parameters?)\b"
    rf"|\bunless (i|you|we) {_LEFT_OUT}|\bunless configured\b|\bout of the box\b|\bif (it is |they are )?omitted\b",
    re.IGNORECASE,
)
# a passage sentence stating what holds when nothing is chosen: "Defaults to HEAD if omitted.",
# "If no lock mode is specified, then ACCESS EXCLUSIVE … is used.", "If not specified, fall back to …"
_STATES_DEFAULT = re.compile(
    r"default|\bif (no|not|none)\b[^.;]{0,40}\b(specified|given|set|supplied|provided|present|chosen)\b"
    r"|\b(if|when) omitted\b|\bfalls? back\b|\bis assumed\b",
    re.IGNORECASE,
)
# a capitalised word after the first one, a word with a digit, a year or a version: what a question names
_NAMED = re.compile(r"(?<=[\w,;:)] )(?!I['’][a-z]{1,2}\b)[A-Z][\w'-]*[a-z][\w'-]*|(?<=[\w,;:)] )[A-Z]{2,}\b|\b[A-Za-z]+\d[\w.]*\b"
                    r"|\b(?:1[89]|20)\d\d\b|\b\d+\.\d+(?:\.\d+)*\b|\b[a-z]+\.[A-Za-z][\w.]*\b")
# an option or a snake_case name the question quotes ("--group", "shared_buffers"): text that does
# not hold it exactly does not speak of it, however many of its parts ("shared", "buffers") it holds
_CODE = re.compile(r"(?<![\w-])--?[A-Za-z][\w-]+|(?<![\w-])-[A-Za-z](?![\w-])|\b[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+\b")
_HOW_TO = re.compile(r"\bhow (?:do|can|could|should|would|shall|may) (?:i|we|you|one|they)\b|\bhow to\b"
                     r"|\bwhat (?:do|should|can) (?:i|we) do\b"
                     r"|\b(?:is there an?|what(?:['’]s| is) the) (?:\w+ )?way to\b|怎么|怎样|如何", re.IGNORECASE)
_SCENE_BREAK = re.compile(r"(?<=[.!?。！？])\s+|(?<=[。！？])")
_QUESTION_END = re.compile(r"[?？][\"')\]”’」』）]*\s*$")
_DO = (r"use|run|type|enter|click|tap|select|choose|open|go|visit|press|set|add|remove|delete|call|pass|"
       r"install|edit|create|contact|send|write|change|follow|configure|specify|give|put|invoke|execute|"
       r"reply|email|ask|check|make sure|ensure")
_INSTRUCTION = re.compile(
    rf"^\W*(?:to [^,.]{{3,80}}, )?(?:(?:first|then|just|simply|please|instead|alternatively),? )?(?:{_DO})\b"
    rf"|\byou (?:can|could|should|need to|must|may|will need to|have to|might want to) (?:also |then |first |simply |just )?(?:{_DO})\b"
    # the passive of the same advice: "an `AbortController` may be used to cancel the timer"
    rf"|\b(?:can|could|may|should|must) (?:also )?be (?:used|passed|set|called|given|specified) to\b",
    re.IGNORECASE,
)
_ZH_INSTRUCTION = re.compile(r"^\W*(?:请|先|然后|只需|可以)?(?:使用|运行|执行|点击|打开|输入|选择|前往|访问|联系|发送|设置|添加|删除|安装)"
                             r"|(?:可以|需要|应该|请)(?:先)?(?:使用|运行|执行|点击|打开|输入|通过)")

# phrases that shape the question and whose words no answer holds: "out of the box" asks for the
# default (`_DEFAULT`), "by itself" for no help from elsewhere
_IDIOM = re.compile(r"\bout of the box\b|\b(?:by|on) (?:it|them|him|her|my|your|our)sel(?:f|ves)\b|\bon (?:its|their) own\b",
                    re.IGNORECASE)
# words that shape the question but are not what it is about
_FRAME = frozenset(content_terms(
    "default defaults happen happens use used using way mean means called name option variable "
    "setting value command kind type thing things need want make makes possible give given "
    "lot lots fix fixes solve resolve"
)) | frozenset((
    "哪里", "哪儿", "哪一天", "哪天", "哪年", "哪种", "哪几种", "谁", "多久", "多长", "几", "时候", "什么时候", "用", "做",
    "应该", "默认", "缺省", "选项", "参数", "使用", "里", "于", "是否", "个字符",
))


@dataclass(frozen=True)
class Shape:
    expects: frozenset[str]  # span kinds a direct answer holds (empty: no expectation)
    polar: bool  # a yes/no question
    wants_default: bool  # asks for the default behaviour or value
    focus: tuple[str, ...]  # stemmed content terms the question is about
    names: tuple[str, ...] = ()  # stemmed names and code-like words ("GitLab", "Chocolatey", "v2.1")
    # the names of the question proper, without the scene set before it ("I run valgrind in CI.
    # Which flag …?"): the passages must speak of these; a scene's name may be the user's setting
    asked_names: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()  # options and snake_case names, lower case ("--group", "shared_buffers")
    how_to: bool = False  # asks for a way to do something: "how do I …", "how can we …", "如何 …"
    asked: str = ""  # the question itself when statements set the scene first ("X is tracked. How do I untrack it?")

    def fits(self, kinds: set[str]) -> bool:
        """Whether a sentence holding spans of `kinds` can answer the question (True when open)."""
        return not self.expects or bool(self.expects & kinds)


def analyse(question: str) -> Shape:
    expects: frozenset[str] = frozenset()
    for pattern, kinds in _EXPECT:
        if pattern.search(question):
            expects = kinds
            break
    terms = [t for t in dict.fromkeys(content_terms(_IDIOM.sub(" ", question))) if t not in _FRAME]
    asked = asked_part(question)
    return Shape(
        expects=expects,
        polar=bool(_POLAR.match(question) or (_ZH_POLAR.search(question) and not _ZH_WH.search(question))),
        wants_default=bool(_DEFAULT.search(question) or _ZH_DEFAULT.search(question)),
        focus=tuple(terms),
        names=_names(question),
        asked_names=_names(asked or question),
        codes=tuple(dict.fromkeys(m.lower() for m in _CODE.findall(question))),
        how_to=bool(_HOW_TO.search(question)),
        asked=asked,
    )


def _names(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(t for w in _NAMED.findall(text) for t in content_terms(w)))


def asked_part(question: str) -> str:
    """The closing question of a message that first describes the situation ("Files listed in
    .gitignore are still tracked. How do I untrack them?"); "" for a plain question. The scene
    shares words with the passages that describe the problem, the question with the answer."""
    parts = [p for p in _SCENE_BREAK.split(question.strip()) if p.strip()]
    if len(parts) < 2 or not _QUESTION_END.search(parts[-1]) or any(_QUESTION_END.search(p) for p in parts[:-1]):
        return ""
    return parts[-1].strip()


def instructs(sentence: str) -> bool:
    """A sentence that tells the reader what to do: "To untrack a file, use `git rm --cached`.",
    "Go to Settings and click Reset.", "You can pass --force.", "请点击…" — the answer to "how do I"."""
    return _INSTRUCTION.search(sentence) is not None or _ZH_INSTRUCTION.search(sentence) is not None


def unmentioned_codes(shape: Shape, texts: list[str]) -> list[str]:
    """The question's options and snake_case names that none of `texts` holds (Markdown escapes
    such as "pg\\_dump" ignored)."""
    flat = " ".join(texts).lower().replace("\\", "")
    return [c for c in shape.codes if not holds_code(c, flat)]


def one_letter_options(shape: Shape) -> list[str]:
    """The one-letter options ("-s", "-Z") a question is about: among a few other words ("what is
    mkdir's -Z for?") the option is the subject; among many ("touch -t: what timestamp format does
    it take?") it is a detail, and a sentence that merely names it is no answer."""
    return [c for c in shape.codes if len(c) == 2] if len(shape.focus) <= LETTER_FOCUS else []


LETTER_FOCUS = 4


def holds_code(code: str, lowered: str) -> bool:
    """Whether lower-cased text holds the option or name: "-s" stands alone ("--show" is not it)."""
    if len(code) > 2:
        return code in lowered
    return re.search(rf"(?<![\w-]){re.escape(code)}(?![\w-])", lowered) is not None


# a platform a question names is spoken of by its family in many manuals: "on Linux" where the
# page says "on POSIX systems", "on my Mac" where it says "macOS" (stemmed, as content_terms gives them)
PLATFORM_FAMILY: dict[str, tuple[str, ...]] = {
    "linux": ("posix", "unix"),
    "mac": ("maco", "macos", "darwin", "osx"),
    "maco": ("mac", "macos", "darwin", "osx"),
    "osx": ("maco", "macos", "mac", "darwin"),
    "unix": ("posix", "linux"),
}


def name_held(name: str, words: set[str]) -> bool:
    """Whether content words hold a question's (stemmed) name, or its platform family."""
    return name in words or any(alias in words for alias in PLATFORM_FAMILY.get(name, ()))


def mentions_default(text: str) -> bool:
    """Whether a passage sentence speaks of a default ("default", "if no … is specified", "默认", "缺省")."""
    return _STATES_DEFAULT.search(text) is not None or _ZH_DEFAULT.search(text) is not None
