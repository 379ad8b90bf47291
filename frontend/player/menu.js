// A control-bar popup menu: a button that opens a list of choices, one of them marked as current.

export class Menu {
  constructor(root, onSelect) {
    this.root = root;
    this.button = root.querySelector("button");
    this.list = root.querySelector("[role=menu]");
    this.label = root.querySelector("[data-role=menu-current]");
    this.onSelect = onSelect;
    this.button.addEventListener("click", (event) => {
      event.stopPropagation();
      this.toggle();
    });
    this.list.addEventListener("click", (event) => {
      const item = event.target.closest("[data-value]");
      if (!item) return;
      this.close();
      this.onSelect(Number(item.dataset.value));
    });
  }

  /** items: [{value, label, detail?}]; current: the value shown as selected; summary: the button's caption. */
  render(items, current, summary) {
    this.root.hidden = items.length < 2;
    this.list.replaceChildren(
      ...items.map((item) => {
        const li = document.createElement("li");
        li.setAttribute("role", "menuitemradio");
        li.setAttribute("aria-checked", String(item.value === current));
        li.tabIndex = -1;
        li.dataset.value = String(item.value);
        li.textContent = item.label;
        if (item.detail) {
          const detail = document.createElement("small");
          detail.textContent = item.detail;
          li.append(detail);
        }
        return li;
      }),
    );
    if (this.label) this.label.textContent = summary ?? "";
  }

  toggle() {
    if (this.list.hidden) this.open();
    else this.close();
  }

  open() {
    document.dispatchEvent(new CustomEvent("airwave:menu-open", { detail: this }));
    this.list.hidden = false;
    this.button.setAttribute("aria-expanded", "true");
    this.list.querySelector("[aria-checked=true]")?.focus();
  }

  close() {
    this.list.hidden = true;
    this.button.setAttribute("aria-expanded", "false");
  }
}
