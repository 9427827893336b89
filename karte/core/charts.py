"""The one chart helper: ECharts options that templates hand to includes/chart.html."""


def bar_chart(categories: list[str], series: list[tuple[str, list]], *, horizontal: bool = False) -> dict:
    """Return an ECharts option for bars of one or more series over `categories`."""
    category_axis = {"type": "category", "data": categories}
    value_axis = {"type": "value", "minInterval": 1}
    if horizontal:
        category_axis["inverse"] = True
    option = {
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 140 if horizontal else 64, "right": 24, "top": 40, "bottom": 32},
        "xAxis": value_axis if horizontal else category_axis,
        "yAxis": category_axis if horizontal else value_axis,
        "series": [{"type": "bar", "name": name, "data": data} for name, data in series],
    }
    if len(series) > 1:
        option["legend"] = {"data": [name for name, _data in series], "top": 0}
    return option
