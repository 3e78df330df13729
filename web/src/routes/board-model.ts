// The board's figures as the app changes them before the server answers: moving a deal takes its amount out
// of one column's totals and puts it, weighted by the new stage's probability, into the other's.
import type { Schemas } from "../api/client.ts";

export type Board = Schemas["Board"];
export type Column = Board["stages"][number];
type Deal = Schemas["Deal"];
type Stage = Schemas["Stage"];
type Total = Schemas["CurrencyTotal"];

function addTo(totals: Total[], deal: Deal, probability: number, sign: 1 | -1): Total[] {
  const weighted = Math.round((deal.amount * probability) / 100);
  const found = totals.some((total) => total.currency === deal.currency);
  const next = (
    found ? totals : [...totals, { currency: deal.currency, count: 0, amount: 0, weightedAmount: 0 }]
  ).map((total) =>
    total.currency === deal.currency
      ? {
          ...total,
          count: total.count + sign,
          amount: total.amount + sign * deal.amount,
          weightedAmount: total.weightedAmount + sign * weighted,
        }
      : total,
  );
  return next.filter((total) => total.count > 0);
}

export function applyMove(board: Board, deal: Deal, to: Stage): Board {
  const moved: Deal = { ...deal, stageId: to.id, stageName: to.name, probability: to.probability };
  return {
    ...board,
    stages: board.stages.map((column) => {
      if (column.stage.id === deal.stageId) {
        return {
          ...column,
          count: column.count - 1,
          deals: column.deals.filter((d) => d.id !== deal.id),
          totals: addTo(column.totals, deal, deal.probability, -1),
        };
      }
      if (column.stage.id === to.id) {
        return {
          ...column,
          count: column.count + 1,
          deals: [moved, ...column.deals],
          totals: addTo(column.totals, moved, to.probability, 1),
        };
      }
      return column;
    }),
  };
}

/** The totals of several columns together, per currency. */
export function sumTotals(columns: Column[]): Total[] {
  const sums = new Map<string, Total>();
  for (const total of columns.flatMap((column) => column.totals)) {
    const sum = sums.get(total.currency) ?? {
      currency: total.currency,
      count: 0,
      amount: 0,
      weightedAmount: 0,
    };
    sums.set(total.currency, {
      currency: total.currency,
      count: sum.count + total.count,
      amount: sum.amount + total.amount,
      weightedAmount: sum.weightedAmount + total.weightedAmount,
    });
  }
  return [...sums.values()];
}
