"""Regenerate the binary documents of ragcord's sample knowledge base.

The sample knowledge base in ``data/`` has two parts:

* ``data/shop/``   -- the help centre of *Brightwire Gadgets*, a fictional online gadget shop
  (orders, shipping, returns and refunds, warranty, billing, accounts, membership plans),
  written as Markdown, HTML, plain text and one DOCX file.
* ``data/course/`` -- "Python Foundations", a short introductory Python course for tutoring,
  written as Markdown lessons and one multi-page PDF.

All text is original and fictional (the ``.example`` domains do not exist).

This script writes the two binary files, which are committed next to the text files:

* ``data/shop/warranty-policy.docx``          (python-docx; Heading 1/2 styles and paragraphs)
* ``data/course/lesson-loops-and-functions.pdf`` (fpdf2, core fonts, latin-1 text, >= 3 pages)

Run it from anywhere::

    .venv/bin/python data/_build/make_binaries.py

The ``_build`` folder is skipped by ingestion (leading underscore) and this file is ``.py``,
which is not an ingestable document type.  Output is deterministic: fixed dates in metadata.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent
FIXED_DATE = datetime(2025, 3, 1, 9, 0, 0, tzinfo=timezone.utc)


# --------------------------------------------------------------------------- DOCX
# Each entry: ("h1"|"h2"|"p"|"bullet"|"number", text)
WARRANTY = [
    ("h1", "Brightwire Gadgets Warranty Policy"),
    ("p", "Version 3.2, effective 1 March 2025. This policy explains how long the products you "
          "buy from Brightwire Gadgets are protected against faults, what the warranty covers, "
          "and how to make a claim. It applies to every product sold and shipped by Brightwire "
          "Gadgets B.V. through brightwire.example. Products bought from other retailers, even "
          "if they are the same model, are covered by that retailer or the manufacturer instead."),

    ("h2", "1. Warranty periods"),
    ("p", "The warranty period starts on the day the product is delivered to you, as shown in "
          "the tracking history of your order. The length depends on the kind of product:"),
    ("bullet", "New products: 2 years (24 months) from delivery."),
    ("bullet", "Brightwire Basics own-brand accessories (cables, chargers, power banks, cases and "
               "stands): 3 years (36 months) from delivery."),
    ("bullet", "Certified Refurbished products: 12 months from delivery. Refurbished products "
               "are tested, cleaned and fitted with a new battery where needed, but they are "
               "not new, so the warranty is shorter."),
    ("bullet", "Open-box products (returned items that were never used): the same 2 years as a "
               "new product."),
    ("p", "Pro members receive Care+, which adds 12 months to each of the periods above for "
          "every product bought while the membership is active. A new product bought by a Pro "
          "member is therefore covered for 3 years, and a refurbished product for 2 years. "
          "Care+ stays attached to the product even if the membership later ends."),
    ("p", "Batteries are covered against excessive wear for the first 12 months only: if the "
          "battery of a product holds less than 70% of its rated capacity within 12 months of "
          "delivery, we treat it as a defect. After 12 months, a gradual loss of battery "
          "capacity is normal ageing and is not a defect, although a battery that swells, leaks "
          "or stops charging completely is still covered for the full warranty period."),
    ("p", "If you give a product as a present, the warranty passes to the new owner. They only "
          "need the original order number to make a claim."),

    ("h2", "2. What the warranty covers"),
    ("p", "The warranty covers faults in materials and workmanship that appear during normal, "
          "careful use. Typical examples are:"),
    ("bullet", "the product does not switch on, or switches off by itself;"),
    ("bullet", "a port, button, hinge, speaker or microphone stops working;"),
    ("bullet", "the product does not charge with the charger supplied in the box;"),
    ("bullet", "a display shows 3 or more permanently bright or dark pixels, or a line of faulty pixels;"),
    ("bullet", "firmware faults that a factory reset and the latest update do not fix;"),
    ("bullet", "battery faults as described in section 1."),

    ("h2", "3. What the warranty does not cover"),
    ("bullet", "Accidental damage, such as drops, cracked screens, bent frames or crushed cables."),
    ("bullet", "Liquid damage, including damage to products sold as water-resistant."),
    ("bullet", "Normal wear and tear: scratches, scuffs, fading, and worn ear cushions or straps."),
    ("bullet", "Consumable parts: ear tips, filters, stylus nibs and replacement blades."),
    ("bullet", "Damage caused by chargers or accessories that are not compatible with the product."),
    ("bullet", "Products that have been opened, modified or repaired by anyone other than "
               "Brightwire Gadgets or an authorised service partner."),
    ("bullet", "Loss of data, software installed by you, and lost or stolen products."),
    ("bullet", "Cosmetic differences that do not affect how the product works."),
    ("p", "Accidental damage is not covered by Care+ either. We can repair it for a fee; "
          "see section 6."),

    ("h2", "4. How to make a warranty claim"),
    ("p", "Claims are handled by the Warranty team, not by the general support desk, so please "
          "use the warranty channels below."),
    ("number", "Open the claim form at brightwire.example/warranty, or email "
               "warranty@brightwire.example."),
    ("number", "Give your order number (it starts with BW-), the serial number of the product, a "
               "short description of the fault, and a photo or a video of up to 60 seconds that "
               "shows the problem."),
    ("number", "You receive a claim reference starting with WC- straight away. The Warranty team "
               "assesses every claim within 5 working days and tells you the outcome by email."),
    ("number", "If the product must be sent in, we email a prepaid shipping label. Sending a "
               "product in under warranty is free from every country we ship to."),
    ("number", "Before you pack the product, back up your data, sign out of your accounts, turn "
               "off any device-locking feature, and remove memory cards and SIM cards. Send only "
               "the product itself unless we ask for the charger or cable."),
    ("p", "You do not need the original box. Any sturdy packaging that protects the product is fine."),

    ("h2", "5. Repair, replacement or refund"),
    ("p", "When a fault is covered, we first try to repair the product. Repaired products are "
          "sent back to you within 15 working days of arriving at our repair centre in "
          "Rotterdam. If the product cannot be repaired, or if the same fault has already been "
          "repaired twice and comes back a third time, we replace it with the same model or, if "
          "that model is no longer sold, with an equivalent model of the same or higher "
          "specification. If no replacement is available, we refund the price you paid for the "
          "product."),
    ("p", "A repaired or replacement product is covered for the rest of the original warranty "
          "period or for 90 days, whichever is longer."),

    ("h2", "6. Faults that are not covered and no-fault-found results"),
    ("p", "If our technicians find no fault, or find damage that the warranty does not cover, we "
          "charge an inspection fee of EUR 25, which includes shipping the product back to you. "
          "For damage that is not covered we always send a repair quote first; nothing is "
          "repaired or charged without your approval. If you decline the quote, you pay only the "
          "inspection fee."),

    ("h2", "7. Your legal rights"),
    ("p", "This warranty is given in addition to your statutory rights under consumer law, such "
          "as the legal guarantee in the European Union. It does not limit those rights. If a "
          "fault is covered by both, you may choose which one to use."),

    ("h2", "8. Contact the Warranty team"),
    ("p", "Email warranty@brightwire.example. The Warranty team works Monday to Friday, "
          "09:00 to 17:00 CET, and replies to emails within 2 working days. Questions about "
          "orders, delivery or refunds should go to support@brightwire.example instead."),
]


def make_docx(path: Path) -> None:
    from docx import Document

    doc = Document()
    props = doc.core_properties
    props.title = "Brightwire Gadgets Warranty Policy"
    props.author = "Brightwire Gadgets"
    props.last_modified_by = "Brightwire Gadgets"
    props.created = FIXED_DATE.replace(tzinfo=None)
    props.modified = FIXED_DATE.replace(tzinfo=None)
    props.revision = 1
    for kind, text in WARRANTY:
        if kind == "h1":
            doc.add_heading(text, level=1)
        elif kind == "h2":
            doc.add_heading(text, level=2)
        elif kind == "bullet":
            doc.add_paragraph(text, style="List Bullet")
        elif kind == "number":
            doc.add_paragraph(text, style="List Number")
        else:
            doc.add_paragraph(text)
    doc.save(str(path))


# --------------------------------------------------------------------------- PDF
# Each entry: ("title"|"h1"|"h2"|"p"|"code"|"bullet", text). Text must be latin-1.
LESSON = [
    ("title", "Python Foundations - Lessons 6 and 7: Loops and Functions"),
    ("p", "This handout covers two lessons of the Python Foundations course. Lesson 6 shows how "
          "to repeat work with while loops and for loops. Lesson 7 shows how to package work "
          "into functions that you can call again and again. Read the examples, type them into "
          "the Python interpreter, and try the check questions at the end."),

    ("h1", "Lesson 6: Loops"),
    ("p", "A loop runs the same block of code several times. Python has two kinds of loop: the "
          "while loop, which repeats as long as a condition is true, and the for loop, which "
          "repeats once for each item of a sequence or other iterable. One run through the "
          "body of a loop is called an iteration."),

    ("h2", "6.1 The while loop"),
    ("p", "Definition: a while loop checks its condition before every iteration and runs its "
          "indented body while the condition is True. When the condition becomes False, the "
          "program continues with the first line after the loop."),
    ("code", "count = 3\nwhile count > 0:\n    print(count)\n    count = count - 1\nprint(\"Lift off!\")"),
    ("p", "This prints 3, 2, 1 and then Lift off!. The body must change something that the "
          "condition depends on. If it does not, the condition stays True forever and you have "
          "an infinite loop. Press Ctrl+C in the terminal to stop a program stuck in one."),

    ("h2", "6.2 The for loop and range()"),
    ("p", "Definition: a for loop takes the items of an iterable one at a time and assigns each "
          "one to the loop variable before running the body. Strings, lists, tuples, "
          "dictionaries and ranges are all iterables."),
    ("code", "for fruit in [\"apple\", \"pear\", \"plum\"]:\n    print(fruit.upper())"),
    ("p", "The built-in range() function produces a sequence of whole numbers and is the usual "
          "way to repeat something a fixed number of times. It takes up to three arguments: "
          "range(stop), range(start, stop) and range(start, stop, step). The start value is "
          "included but the stop value is never included."),
    ("bullet", "range(5) gives 0, 1, 2, 3, 4 (five numbers, starting at 0)."),
    ("bullet", "range(2, 6) gives 2, 3, 4, 5."),
    ("bullet", "range(2, 10, 3) gives 2, 5, 8."),
    ("bullet", "range(10, 0, -2) gives 10, 8, 6, 4, 2 (a negative step counts down)."),
    ("p", "When you need both the position and the item, use enumerate(), which yields pairs of "
          "(index, item). Counting starts at 0 unless you pass start=1."),
    ("code", "for number, name in enumerate([\"Ada\", \"Linus\"], start=1):\n    print(number, name)\n# 1 Ada\n# 2 Linus"),
    ("p", "Looping over a dictionary gives its keys. Use .items() to get key and value together: "
          "for key, value in prices.items():"),

    ("h2", "6.3 break, continue and the loop else clause"),
    ("p", "Definition: the break statement ends the loop immediately; the program jumps to the "
          "first line after the loop. The continue statement skips the rest of the current "
          "iteration and goes straight to the next one."),
    ("code", "for n in range(1, 10):\n    if n % 2 == 0:\n        continue   # skip even numbers\n    if n > 7:\n        break      # stop completely\n    print(n)\n# prints 1, 3, 5, 7"),
    ("p", "Both for and while loops may have an else clause. The else block runs when the loop "
          "finishes normally, that is, when it was not ended by break. This is handy for "
          "searches: the else block handles the case where nothing was found."),
    ("code", "for n in [4, 9, 15]:\n    if n % 7 == 0:\n        print(\"found a multiple of 7\")\n        break\nelse:\n    print(\"no multiple of 7\")"),

    ("h2", "6.4 Common loop patterns"),
    ("p", "The accumulator pattern keeps a running result in a variable that is created before "
          "the loop and updated in every iteration, such as a total or a list of results."),
    ("code", "total = 0\nfor price in [2.50, 4.00, 1.25]:\n    total += price\nprint(total)   # 7.75"),
    ("p", "A nested loop is a loop inside another loop. The inner loop runs completely for each "
          "iteration of the outer loop, so two nested loops of 3 and 4 iterations run the inner "
          "body 12 times. Avoid changing a list while you loop over it; loop over a copy "
          "(items[:]) or build a new list instead."),

    ("h1", "Lesson 7: Functions"),
    ("p", "Definition: a function is a named block of code that performs one task. You define "
          "it once with the def keyword and then call it by writing its name followed by "
          "parentheses. Functions remove repetition, give a name to an idea, and make programs "
          "easier to test."),

    ("h2", "7.1 Defining and calling a function"),
    ("code", "def greet(name):\n    \"\"\"Return a friendly greeting for name.\"\"\"\n    return \"Hello, \" + name + \"!\"\n\nmessage = greet(\"Sam\")\nprint(message)   # Hello, Sam!"),
    ("p", "A parameter is the variable name listed in the function definition (name above). An "
          "argument is the actual value passed in the call (\"Sam\" above). The body of the "
          "function is indented under the def line. The string on the first line of the body is "
          "the docstring: it documents what the function does, and help(greet) displays it."),

    ("h2", "7.2 Return values"),
    ("p", "The return statement ends the function and sends a value back to the caller. A "
          "function can return any object, including a tuple, which is how Python returns "
          "several values at once: return low, high. A function that has no return statement, "
          "or that uses a bare return, returns the special value None. Printing a value and "
          "returning it are different things: print() shows text on the screen, while return "
          "hands the value back so that the caller can store it or use it in a calculation."),
    ("code", "def shout(text):\n    print(text.upper())\n\nresult = shout(\"hi\")   # prints HI\nprint(result)          # None"),

    ("h2", "7.3 Default values and keyword arguments"),
    ("p", "A parameter can have a default value, which is used when the caller leaves that "
          "argument out. Parameters with defaults must come after parameters without them. "
          "Callers may also pass keyword arguments by name, in any order."),
    ("code", "def power(base, exponent=2):\n    return base ** exponent\n\npower(5)                      # 25\npower(2, 10)                  # 1024\npower(exponent=3, base=2)     # 8"),
    ("p", "Warning: default values are evaluated only once, when the def statement runs, not "
          "each time the function is called. A mutable default such as an empty list is "
          "therefore shared between calls. Use None as the default and create the list inside "
          "the function instead: def add_item(item, basket=None): followed by "
          "if basket is None: basket = []."),
    ("p", "A parameter written as *args collects any extra positional arguments into a tuple, and "
          "**kwargs collects extra keyword arguments into a dictionary. For example, "
          "def total(*numbers): return sum(numbers) accepts any number of arguments."),

    ("h2", "7.4 Scope: local and global variables"),
    ("p", "Definition: the scope of a variable is the part of the program where its name can be "
          "used. A variable assigned inside a function is local: it exists only while the "
          "function runs and is invisible outside it. Python looks up a name in four places, in "
          "this order, known as the LEGB rule: Local, Enclosing function, Global (module level) "
          "and Built-in. A function can read a global variable, but to assign to one it must "
          "declare it with the global keyword. Passing values in as arguments and returning "
          "results is almost always clearer than using global."),

    ("h2", "7.5 Summary"),
    ("bullet", "while repeats while a condition is True; for repeats once per item of an iterable."),
    ("bullet", "range(start, stop, step) includes start and excludes stop; the default start is 0 and the default step is 1."),
    ("bullet", "break leaves a loop, continue skips to the next iteration, and a loop's else runs only if no break happened."),
    ("bullet", "def defines a function; parameters are names in the definition, arguments are values in the call."),
    ("bullet", "A function without a return statement returns None."),
    ("bullet", "Default values are evaluated once, at definition time: never use a mutable default."),
    ("bullet", "Names follow the LEGB lookup order: Local, Enclosing, Global, Built-in."),

    ("h2", "Check questions"),
    ("bullet", "1. What numbers does range(3, 12, 4) produce?  (Answer: 3, 7, 11)"),
    ("bullet", "2. How many times does the body of a loop nested 5 times inside a loop of 4 iterations run?  (Answer: 20)"),
    ("bullet", "3. When does the else block of a for loop run?  (Answer: when the loop ends without break)"),
    ("bullet", "4. What does len(\"abc\") return, and what does a function with only a print() call return?  (Answer: 3; None)"),
    ("bullet", "5. Why is def f(items=[]) a bad idea?  (Answer: the same list is shared by every call)"),
]


def make_pdf(path: Path) -> None:
    from fpdf import FPDF

    class Handout(FPDF):
        def header(self):
            if self.page_no() > 1:
                self.set_font("Helvetica", "I", 9)
                self.set_text_color(110, 110, 110)
                self.cell(0, 8, "Python Foundations - Loops and Functions", align="R",
                          new_x="LMARGIN", new_y="NEXT")
                self.set_text_color(0, 0, 0)
                self.ln(2)

        def footer(self):
            self.set_y(-15)
            self.set_font("Helvetica", "I", 9)
            self.set_text_color(110, 110, 110)
            self.cell(0, 10, f"Page {self.page_no()}/{{nb}}", align="C")
            self.set_text_color(0, 0, 0)

    pdf = Handout(format="A4")
    pdf.set_title("Python Foundations - Lessons 6 and 7: Loops and Functions")
    pdf.set_author("Python Foundations course")
    pdf.set_creation_date(FIXED_DATE)
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.set_margins(20, 18, 20)
    pdf.add_page()

    for kind, text in LESSON:
        text.encode("latin-1")  # fail loudly on characters core fonts cannot show
        if kind == "title":
            pdf.set_font("Helvetica", "B", 17)
            pdf.multi_cell(0, 9, text, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(3)
        elif kind == "h1":
            if pdf.get_y() > pdf.h / 2:
                pdf.add_page()
            pdf.set_font("Helvetica", "B", 15)
            pdf.multi_cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
        elif kind == "h2":
            if pdf.get_y() > pdf.h - 50:
                pdf.add_page()
            pdf.ln(2)
            pdf.set_font("Helvetica", "B", 12.5)
            pdf.multi_cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
        elif kind == "code":
            pdf.set_font("Courier", "", 10)
            pdf.set_fill_color(238, 238, 238)
            pdf.multi_cell(0, 5, text, fill=True, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
        elif kind == "bullet":
            pdf.set_font("Helvetica", "", 11)
            pdf.set_x(pdf.l_margin + 4)
            pdf.multi_cell(0, 6, "- " + text, new_x="LMARGIN", new_y="NEXT")
        else:
            pdf.set_font("Helvetica", "", 11)
            pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
    pdf.output(str(path))


def main() -> None:
    docx_path = DATA / "shop" / "warranty-policy.docx"
    pdf_path = DATA / "course" / "lesson-loops-and-functions.pdf"
    docx_path.parent.mkdir(parents=True, exist_ok=True)
    pdf_path.parent.mkdir(parents=True, exist_ok=True)
    make_docx(docx_path)
    make_pdf(pdf_path)
    for p in (docx_path, pdf_path):
        print(f"wrote {p.relative_to(DATA.parent)} ({p.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
