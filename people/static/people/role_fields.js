// Show only the fields of the chosen role (a customer's site, an engineer's coverage and workload);
// without this script every field shows and the server ignores the ones the role does not use.
document.querySelectorAll("form[data-role-form]").forEach((form) => {
  const role = form.querySelector("select[name=role]");
  if (!role) return;
  const update = () => {
    form.querySelectorAll("[data-for-role]").forEach((part) => {
      part.hidden = !part.dataset.forRole.split(" ").includes(role.value);
    });
  };
  role.addEventListener("change", update);
  update();
});
