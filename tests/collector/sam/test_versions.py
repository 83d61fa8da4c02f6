from collector.sam.versions import version_key


def test_numbers_compare_as_numbers_not_text():
    assert version_key("9") < version_key("10")
    assert version_key("2016") < version_key("2019")
    assert version_key("9.10") > version_key("9.9")
    assert version_key("16.0.1") > version_key("16")


def test_trailing_zeros_case_and_separators_do_not_count():
    assert version_key("10") == version_key("10.0") == version_key("10.0.0")
    assert version_key("2008 R2") == version_key("2008-r2")
    assert version_key("2008") < version_key("2008 R2") < version_key("2012")


def test_text_parts_sort_after_numbers_at_the_same_place():
    assert version_key("1.0") < version_key("1.0a") < version_key("1.1")
    assert version_key("") == ()
